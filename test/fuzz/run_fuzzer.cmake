# Runs one libFuzzer target for SECONDS on a fresh copy of its seed corpus:
#   cmake -DFUZZER=... -DSEEDS=dir -DWORK=dir -DSECONDS=n -P run_fuzzer.cmake
# Fails (and names the crash-* file it wrote next to WORK) on any crash,
# leak, timeout or sanitizer report.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK})
get_filename_component(artifacts ${WORK} DIRECTORY)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -print_final_stats=1
          -artifact_prefix=${artifacts}/ ${WORK}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); see the crash-*/leak-*/timeout-* "
                      "file named above, in ${artifacts}")
endif()
