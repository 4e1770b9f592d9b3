# Expert parallelism. Always: the EP half of the C API in libflashmoe (src/capi_ep.cu: placement, workspace
# arithmetic, and the dlopen loader) and the host-only layout test. With FLASHMOE_WITH_NVSHMEM=ON: libflashmoe_ep.so,
# the only library that links NVSHMEM (libnvshmem_device.a device-linked, libnvshmem_host.so.3 needed at load time);
# libflashmoe.so loads it only when expert parallelism is asked for, so one-GPU use never needs NVSHMEM.
target_sources(flashmoe PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../src/capi_ep.cu)
target_link_libraries(flashmoe PRIVATE ${CMAKE_DL_LIBS})

option(FLASHMOE_WITH_NVSHMEM "Build libflashmoe_ep.so (expert parallelism over NVSHMEM; docs/expert-parallel.md)" OFF)
if(FLASHMOE_WITH_NVSHMEM)
  if(NOT EXISTS "${FLASHMOE_NVSHMEM_HOME}/lib/libnvshmem_device.a")
    message(FATAL_ERROR "FLASHMOE_WITH_NVSHMEM=ON needs FLASHMOE_NVSHMEM_HOME with lib/libnvshmem_device.a")
  endif()
  set(flashmoe_nvshmem_host "${FLASHMOE_NVSHMEM_HOME}/lib/libnvshmem_host.so")
  if(NOT EXISTS "${flashmoe_nvshmem_host}")
    set(flashmoe_nvshmem_host "${FLASHMOE_NVSHMEM_HOME}/lib/libnvshmem_host.so.3")
  endif()
  if(NOT FLASHMOE_BUILD_FUSED)
    message(FATAL_ERROR "FLASHMOE_WITH_NVSHMEM=ON needs FLASHMOE_BUILD_FUSED=ON (the expert-parallel layer is the fused kernel)")
  endif()
  # The expert-parallel layer is the fused kernel compiled again with FLASHMOE_EP=1: its device code calls NVSHMEM
  # (puts with signal), which must be device-linked with libnvshmem_device.a in this module.
  add_library(flashmoe_ep SHARED ${CMAKE_CURRENT_LIST_DIR}/../src/ep/ep_nvshmem.cu ${flashmoe_fused_sources})
  target_compile_definitions(flashmoe_ep PRIVATE FLASHMOE_EP=1 FLASHMOE_WITH_FUSED=1)
  target_include_directories(flashmoe_ep PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
  target_include_directories(flashmoe_ep SYSTEM PRIVATE ${FLASHMOE_NVSHMEM_HOME}/include ${FLASHMOE_CUTLASS_INCLUDE})
  target_compile_options(flashmoe_ep PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall>)
  # The device archive joins the device link (NVSHMEM device state, init_device.o); the host library is NEEDED.
  target_link_libraries(flashmoe_ep PRIVATE ${FLASHMOE_NVSHMEM_HOME}/lib/libnvshmem_device.a ${flashmoe_nvshmem_host})
  set_target_properties(flashmoe_ep PROPERTIES
    CUDA_SEPARABLE_COMPILATION ON
    CUDA_RESOLVE_DEVICE_SYMBOLS ON
    OUTPUT_NAME flashmoe_ep
    # $ORIGIN: a libnvshmem_host.so.3 beside it is found; otherwise LD_LIBRARY_PATH or FLASHMOE_NVSHMEM_LIB_DIR.
    BUILD_RPATH "$ORIGIN;${FLASHMOE_NVSHMEM_HOME}/lib"
    INSTALL_RPATH "$ORIGIN")
  target_link_options(flashmoe_ep PRIVATE "LINKER:--version-script=${CMAKE_CURRENT_LIST_DIR}/../src/ep/flashmoe_ep.map"
    "LINKER:--no-undefined")
  set_property(TARGET flashmoe_ep APPEND PROPERTY LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/../src/ep/flashmoe_ep.map)
  install(TARGETS flashmoe_ep LIBRARY DESTINATION lib)
endif()

if(FLASHMOE_BUILD_TESTS)
  # Host-only: the symmetric layout's arithmetic (no GPU, no CUDA headers).
  add_executable(symmetric_layout_test ${CMAKE_CURRENT_LIST_DIR}/../tests/symmetric_layout_test.cpp)
  target_include_directories(symmetric_layout_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
  add_test(NAME symmetric_layout_test COMMAND symmetric_layout_test)
  # GPU (P = 1 through NVSHMEM's unique-id bootstrap) with the EP library; without it, checks the clear UNSUPPORTED.
  add_executable(ep_smoke ${CMAKE_CURRENT_LIST_DIR}/../tests/ep_smoke.cpp)
  target_include_directories(ep_smoke PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
  target_link_libraries(ep_smoke PRIVATE flashmoe)
  set_target_properties(ep_smoke PROPERTIES BUILD_RPATH "$<TARGET_FILE_DIR:flashmoe>")
  add_test(NAME ep_smoke COMMAND ep_smoke)
  # GPU: the expert-parallel layer (P = 1 through NVSHMEM, or N ranks under mpirun --mpi) against the single-GPU
  # fused layer, bitwise; skips without a GPU or libflashmoe_ep.
  add_executable(ep_layer_test ${CMAKE_CURRENT_LIST_DIR}/../tests/ep_layer_test.cpp)
  target_include_directories(ep_layer_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
  target_link_libraries(ep_layer_test PRIVATE flashmoe)
  set_target_properties(ep_layer_test PROPERTIES BUILD_RPATH "$<TARGET_FILE_DIR:flashmoe>")
  add_test(NAME ep_layer_test COMMAND ep_layer_test --quick)
endif()
