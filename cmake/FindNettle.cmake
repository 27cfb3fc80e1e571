# FindNettle: Nettle's HMAC-SHA256, which multiproc uses on POSIX (Debian: nettle-dev).
# Defines Nettle::nettle. Used by multiproc's own build and by its installed package config, where
# a static multiproc carries Nettle into the consumer's link.
#
# The static archive is preferred: every spawned child is a fresh run of the program, and a shared
# library costs each one its loading and relocation.
find_path(Nettle_INCLUDE_DIR nettle/hmac.h)
find_library(Nettle_LIBRARY NAMES libnettle.a nettle)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Nettle REQUIRED_VARS Nettle_LIBRARY Nettle_INCLUDE_DIR)
if(Nettle_FOUND AND NOT TARGET Nettle::nettle)
  add_library(Nettle::nettle UNKNOWN IMPORTED)
  set_target_properties(Nettle::nettle PROPERTIES
    IMPORTED_LOCATION "${Nettle_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Nettle_INCLUDE_DIR}")
endif()
mark_as_advanced(Nettle_INCLUDE_DIR Nettle_LIBRARY)
