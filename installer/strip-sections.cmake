# CPack pre-build script: drops the .comment and .note sections from the packaged programs,
# as Debian's dh_strip does (lintian: binary-has-unneeded-section). CPACK_STRIP_FILES has
# already stripped them, but plain `strip` keeps those sections (the compiler's version
# string). .note.gnu.build-id and the other .note.* sections stay.
file(GLOB_RECURSE cs_files LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
set(cs_programs)
foreach(file IN LISTS cs_files)
    if(file MATCHES "/(bin|libexec/clusterscope)/[^/]+$" AND NOT IS_SYMLINK "${file}")
        list(APPEND cs_programs "${file}")
    endif()
endforeach()
if(NOT CPACK_CS_STRIP)
    message(STATUS "No strip program (CMAKE_STRIP): the programs keep their .comment and .note sections")
elseif(cs_programs)
    execute_process(COMMAND "${CPACK_CS_STRIP}" --remove-section=.comment --remove-section=.note ${cs_programs}
        RESULT_VARIABLE cs_result)
    if(NOT cs_result EQUAL 0)
        message(FATAL_ERROR "${CPACK_CS_STRIP} could not remove .comment and .note from ${cs_programs}")
    endif()
endif()
