# Writes a manual page from its template: cmake -DTEMPLATE=... -DOUT=...
# -DPROGRAM=... -DWHAT=options|config -DVERSION=... -DDATE=... -P man.cmake
#
# The template's line @OPTIONS@ or @KEYS@ becomes `PROGRAM --help-man=WHAT`
# (layout/src/manpage.c, from the very tables the program parses with), so
# a page is only ever as old as the binary it was built with.
cmake_minimum_required(VERSION 3.25)
foreach(v TEMPLATE OUT PROGRAM WHAT VERSION DATE)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "man.cmake: -D${v}=... missing")
  endif()
endforeach()
execute_process(COMMAND "${PROGRAM}" "--help-man=${WHAT}"
  OUTPUT_VARIABLE generated RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR generated STREQUAL "")
  message(FATAL_ERROR "${PROGRAM} --help-man=${WHAT} failed (${rc}): ${err}")
endif()
string(REGEX REPLACE "\n$" "" generated "${generated}")
file(READ "${TEMPLATE}" text)
if(WHAT STREQUAL "options")
  set(marker "@OPTIONS@")
else()
  set(marker "@KEYS@")
endif()
string(FIND "${text}" "\n${marker}\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${TEMPLATE}: no line ${marker}")
endif()
string(REPLACE "\n${marker}\n" "\n${generated}\n" text "${text}")
string(REPLACE "@VERSION@" "${VERSION}" text "${text}")
string(REPLACE "@DATE@" "${DATE}" text "${text}")
# The template's own comment lines say how it is made; the page says it
# was generated.
string(REGEX REPLACE "^(\\.\\\\\"[^\n]*\n)+" "" text "${text}")
file(WRITE "${OUT}.tmp" ".\\\" Generated from ${WHAT} tables by contrib/man/man.cmake: do not edit.\n${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
