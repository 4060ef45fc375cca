# One place for warning flags: every project target calls hamirror_warnings().
function(hamirror_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(HAMIRROR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
