# The installed layout, the same for `cmake --install`, the .deb and the container image (its
# Dockerfile installs through cmake --install):
#   bin/twiml-redirect
#   etc/twiml-redirect/twiml-redirect.json   the default config (/etc with prefix /usr)
#   etc/twiml-redirect/env                   secrets for the systemd unit, mode 0600, comments only
#   lib/systemd/system/twiml-redirect.service
#   share/doc/twiml-redirect/                README, LICENSE, docs/, example configs
# `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr makes the .deb
# (scripts/deb-test builds, installs and checks it in a clean Debian 12 container).
include(GNUInstallDirs)
set(TWIML_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/twiml-redirect)
set(TWIML_CONFIG_FILE ${TWIML_CONFIG_DIR}/twiml-redirect.json)
set(TWIML_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/twiml-redirect)
# Named after the package (Debian policy), not the CMake project (GNUInstallDirs' default).
set(TWIML_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/twiml-redirect)
configure_file(${PROJECT_SOURCE_DIR}/cmake/install_paths.hpp.in
               ${PROJECT_BINARY_DIR}/generated/twiml_redirect/install_paths.hpp @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/deploy/systemd/twiml-redirect.service.in
               ${PROJECT_BINARY_DIR}/twiml-redirect.service @ONLY)

install(TARGETS twiml-redirect RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/config/twiml-redirect.json DESTINATION ${TWIML_CONFIG_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/env DESTINATION ${TWIML_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${PROJECT_BINARY_DIR}/twiml-redirect.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${TWIML_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${TWIML_DOC_DIR}/docs)
install(FILES ${PROJECT_SOURCE_DIR}/config/example-with-number.json ${PROJECT_SOURCE_DIR}/config/example-two-regions.json
        DESTINATION ${TWIML_DOC_DIR}/examples)

# The .deb. Depends comes from dpkg-shlibdeps (the libraries the binary links), so it cannot drift.
set(CPACK_PACKAGE_NAME twiml-redirect)
set(CPACK_PACKAGE_VENDOR "twiml-redirect")
set(CPACK_PACKAGE_CONTACT "twiml-redirect maintainers <twiml-redirect@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${PROJECT_DESCRIPTION}
 Answers Twilio's voice webhook with TwiML that dials Synthflow's SIP ingress, with per-number
 routing, failover, transfers, caller context and provisioning; runs as a hardened systemd unit.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# procps provides /bin/kill, which the unit's ExecReload runs (minimal images lack it).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates, procps")
# Absolute destinations (/etc) need the install to run under DESTDIR.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
# The configuration and the secrets file are the administrator's: kept on upgrade and `dpkg -r`,
# removed only by `dpkg --purge`.
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${TWIML_CONFIG_FILE}\n${TWIML_CONFIG_DIR}/env\n")
configure_file(${PROJECT_SOURCE_DIR}/deploy/systemd/postinst ${PROJECT_BINARY_DIR}/debian/postinst COPYONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
configure_file(${PROJECT_SOURCE_DIR}/deploy/systemd/prerm ${PROJECT_BINARY_DIR}/debian/prerm COPYONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_BINARY_DIR}/debian/conffiles;${PROJECT_BINARY_DIR}/debian/postinst;${PROJECT_BINARY_DIR}/debian/prerm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
