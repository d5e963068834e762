/* libinih keeps its options in globals; set them once for every parser. */
#ifndef OCSP_INI_SETUP_H
#define OCSP_INI_SETUP_H

void config_ini_setup(void);

#endif
