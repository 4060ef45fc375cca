# One place for warning flags: every project target calls hamirror_warnings().
function(hamirror_warnings target)
  # Designated initializers leave fields at their defaults on purpose: GCC 12 would
  # warn about each omitted one.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(HAMIRROR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
