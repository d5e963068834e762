# civetweb, lookupd's HTTP library, as the target civetweb::lib.
#
# Debian's libcivetweb is built without IPv6 and as a shared library only,
# so by default civetweb is compiled from Debian's own source package
# (contrib/fetch-civetweb.sh: apt-get source civetweb) into a static
# library, with IPv6 on and what lookupd does not use off. When that source
# cannot be had, the system library is used: IPv4 only, as lookupd says at
# start and in --check. Nothing of civetweb's source is kept in this tree.
#
#   OCSP_CIVETWEB = auto (default) | source | system
#   OCSP_CIVETWEB_SOURCE = an unpacked civetweb source tree (default: fetched
#                          into .deps/ of the source tree)
set(OCSP_CIVETWEB "auto" CACHE STRING "civetweb: auto, source (built in, IPv6) or system")
set_property(CACHE OCSP_CIVETWEB PROPERTY STRINGS auto source system)
set(OCSP_CIVETWEB_SOURCE "" CACHE PATH "Unpacked civetweb source (empty: fetch into .deps/)")
# Worker stacks: the deepest path (online signing) uses about 60 KiB; the
# default 8 MiB per thread reserves address space for nothing, and lookupd
# runs thousands of workers.
set(OCSP_CIVETWEB_STACK 262144 CACHE STRING "Stack size of civetweb's threads (source build)")

set(civetweb_src "")
if(NOT OCSP_CIVETWEB STREQUAL "system")
  if(OCSP_CIVETWEB_SOURCE)
    set(civetweb_src "${OCSP_CIVETWEB_SOURCE}")
  else()
    execute_process(
      COMMAND bash "${PROJECT_SOURCE_DIR}/contrib/fetch-civetweb.sh" "${PROJECT_SOURCE_DIR}/.deps"
      OUTPUT_VARIABLE civetweb_src OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE civetweb_fetch ERROR_QUIET)
    if(NOT civetweb_fetch EQUAL 0)
      set(civetweb_src "")
    endif()
  endif()
  if(civetweb_src AND NOT EXISTS "${civetweb_src}/src/civetweb.c")
    message(FATAL_ERROR "${civetweb_src}: no src/civetweb.c")
  endif()
  if(NOT civetweb_src AND OCSP_CIVETWEB STREQUAL "source")
    message(FATAL_ERROR "OCSP_CIVETWEB=source but Debian's civetweb source could not be "
      "fetched (run contrib/install-deps.sh as root, or set OCSP_CIVETWEB_SOURCE)")
  endif()
endif()

# lookupd checks each request head as the client sent it (lookupd/head.c),
# before civetweb parses it in place and loses what a proxy in front might
# read otherwise (lookupd/framing.c, G1 to G3). civetweb has no callback at
# that point, so one call is inserted into a copy of civetweb.c in the
# build tree (the fetched source is left as it is): in get_request(), once
# get_message() has read the whole head (conn->request_len is known) and
# before parse_http_request() writes its NULs into conn->buf. lookupd's
# begin_request takes the verdict (lookupd/head_hook.c). The anchor must
# be found exactly once: a civetweb that reads its requests otherwise stops
# the build here, never builds without the check.
function(ocsp_civetweb_insert_hook in out)
  file(READ "${in}" text)
  string(CONCAT anchor "\tif (!get_message(conn, ebuf, ebuf_len, err)) {\n\t\treturn 0;\n\t}\n\n"
    "\tif (parse_http_request(conn->buf, conn->buf_size, &conn->request_info)")
  string(FIND "${text}" "${anchor}" first)
  string(FIND "${text}" "${anchor}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "${in}: get_request() does not read its head as civetweb 1.15 "
      "does: the anchor for lookupd's head check is not there exactly once (first at "
      "${first}, last at ${last}, -1: none); lookupd/civetweb.cmake must be brought up to "
      "this civetweb before it can be built in")
  endif()
  string(CONCAT hook "\tif (!get_message(conn, ebuf, ebuf_len, err)) {\n\t\treturn 0;\n\t}\n\n"
    "\t/* Inserted by ocsp-responder's lookupd/civetweb.cmake: the raw head,\n"
    "\t * before parse_http_request changes it in place. */\n"
    "\t{\n"
    "\t\textern void ocsp_civetweb_head(const char *head, int len);\n"
    "\t\tocsp_civetweb_head(conn->buf, conn->request_len);\n"
    "\t}\n\n"
    "\tif (parse_http_request(conn->buf, conn->buf_size, &conn->request_info)")
  string(REPLACE "${anchor}" "${hook}" text "${text}")
  # Written only when it changes, so that a reconfigure rebuilds nothing.
  set(old "")
  if(EXISTS "${out}")
    file(READ "${out}" old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE "${out}" "${text}")
  endif()
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${in}")
endfunction()

if(civetweb_src)
  message(STATUS "civetweb: built in from ${civetweb_src} (IPv6, static, head check hooked)")
  set(OCSP_CIVETWEB_C "${PROJECT_BINARY_DIR}/civetweb/civetweb.c")
  # Where civetweb.c's own .inl files are, for the copy to find them.
  set(OCSP_CIVETWEB_SRC_DIR "${civetweb_src}/src")
  ocsp_civetweb_insert_hook("${civetweb_src}/src/civetweb.c" "${OCSP_CIVETWEB_C}")
  add_library(civetweb_builtin STATIC "${OCSP_CIVETWEB_C}")
  target_include_directories(civetweb_builtin SYSTEM PUBLIC "${civetweb_src}/include")
  target_include_directories(civetweb_builtin PRIVATE "${OCSP_CIVETWEB_SRC_DIR}")
  # The hook's definition (lookupd/CMakeLists.txt): whatever links this
  # civetweb links the check, never a civetweb without it.
  target_link_libraries(civetweb_builtin PUBLIC lookupd_head)
  target_compile_definitions(civetweb_builtin PRIVATE
    # REENTRANT_TIME: gmtime_r, not gmtime, for the dates of its own error
    # pages (several workers may send one at the same moment).
    NDEBUG USE_IPV6 NO_SSL NO_CGI NO_FILES NO_CACHING REENTRANT_TIME
    USE_STACK_SIZE=${OCSP_CIVETWEB_STACK} _GNU_SOURCE)
  # Not our code: its warnings are not ours to fix, and -Werror must not
  # stop the build on them.
  target_compile_options(civetweb_builtin PRIVATE -w)
  # Its stop flag is a plain int read and written by several threads (as in
  # Debian's own build): ThreadSanitizer would stop lookupd on that at every
  # shutdown. Its locks and threads are still seen (TSan intercepts them);
  # only its own memory accesses go unchecked, as with the system library.
  if(OCSP_TSAN)
    target_compile_options(civetweb_builtin PRIVATE -fno-sanitize=thread)
  endif()
  set_target_properties(civetweb_builtin PROPERTIES C_EXTENSIONS ON)
  target_link_libraries(civetweb_builtin PUBLIC Threads::Threads ${CMAKE_DL_LIBS})
  add_library(civetweb::lib ALIAS civetweb_builtin)
  set(OCSP_CIVETWEB_BUILTIN ON)
else()
  message(WARNING "civetweb: Debian's source package could not be had; building with "
    "the system library (IPv4 only). Run contrib/install-deps.sh as root to fetch it.")
  # Debian's civetweb CMake config needs /usr/bin/civetweb from a separate
  # package (see PLATFORM.md), so find the header and library directly.
  find_path(CIVETWEB_INCLUDE_DIR civetweb.h REQUIRED)
  find_library(CIVETWEB_LIBRARY civetweb REQUIRED)
  add_library(civetweb::lib UNKNOWN IMPORTED)
  set_target_properties(civetweb::lib PROPERTIES
    IMPORTED_LOCATION "${CIVETWEB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CIVETWEB_INCLUDE_DIR}")
  set(OCSP_CIVETWEB_BUILTIN OFF)
endif()
