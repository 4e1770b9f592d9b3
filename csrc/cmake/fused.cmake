# The fused (single-launch) MoE forward: the C API's default layer path (config.kernel_path = FLASHMOE_PATH_FUSED).
# Included from csrc/CMakeLists.txt after the flashmoe target exists; adds the fused TUs and, with tests on,
# fused_test (GPU) and fused_layout_test (host only). OFF builds a library with the unfused path only.
option(FLASHMOE_BUILD_FUSED "Build the fused single-launch forward kernel into libflashmoe" ON)

if(FLASHMOE_BUILD_FUSED)
  set(flashmoe_fused_sources
    ${CMAKE_CURRENT_LIST_DIR}/../src/fused_layer.cu
    ${CMAKE_CURRENT_LIST_DIR}/../src/fused_fp32.cu
    ${CMAKE_CURRENT_LIST_DIR}/../src/fused_fp16.cu
    ${CMAKE_CURRENT_LIST_DIR}/../src/fused_bf16.cu)
  # The processors' tiles use CuTe's MMA and copy atoms (processor/gemm_tile.cuh).
  if(NOT FLASHMOE_CUTLASS_INCLUDE)
    message(FATAL_ERROR "FLASHMOE_BUILD_FUSED=ON needs FLASHMOE_CUTLASS_INCLUDE (CuTe headers)")
  endif()
  target_sources(flashmoe PRIVATE ${flashmoe_fused_sources})
  target_compile_definitions(flashmoe PRIVATE FLASHMOE_WITH_FUSED=1)

  if(FLASHMOE_BUILD_TESTS)
    # The test links the fused TUs directly (the library exports only the C API).
    add_executable(fused_test ${CMAKE_CURRENT_LIST_DIR}/../tests/fused_test.cu ${flashmoe_fused_sources})
    target_include_directories(fused_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
    target_compile_options(fused_test PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo>)
    target_include_directories(fused_test SYSTEM PRIVATE ${FLASHMOE_CUTLASS_INCLUDE})
    # Compiled as the library is (relocatable device code): whole-program ptxas serialises the wgmma of the GEMM task
    # functions, which the kernel calls out of line (C7510; processor/tasks.cuh).
    set_target_properties(fused_test PROPERTIES CUDA_SEPARABLE_COMPILATION ON CUDA_RESOLVE_DEVICE_SYMBOLS ON)
    # GPU: the processor GEMM tiles alone against a CPU reference (bf16, fp16, TF32, exact fp32), determinism, timing.
    add_executable(gemm_tile_test ${CMAKE_CURRENT_LIST_DIR}/../tests/gemm_tile_test.cu)
    target_include_directories(gemm_tile_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
    target_include_directories(gemm_tile_test SYSTEM PRIVATE ${FLASHMOE_CUTLASS_INCLUDE})
    target_compile_options(gemm_tile_test PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo>)
    target_link_libraries(gemm_tile_test PRIVATE flashmoe)  # --sweep times the layer through the C API
    set_target_properties(gemm_tile_test PROPERTIES BUILD_RPATH "$<TARGET_FILE_DIR:flashmoe>")
    find_package(Threads REQUIRED)
    target_link_libraries(fused_test PRIVATE Threads::Threads)
    # Host-only: layout arithmetic, no GPU needed (CI can run it).
    add_executable(fused_layout_test ${CMAKE_CURRENT_LIST_DIR}/../tests/fused_layout_test.cpp)
    target_include_directories(fused_layout_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../include)
    add_test(NAME fused_layout_test COMMAND fused_layout_test)
  endif()
endif()
