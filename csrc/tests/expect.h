// The one assertion macro of the host-side C++ tests: counts a failure and prints it, so a test reports every broken
// check in one run and exits non-zero at the end (return expect_failures != 0).
#pragma once

#include <cstdio>

inline int expect_failures = 0;

#define EXPECT(condition, ...)                    \
    do {                                          \
        if (!(condition)) {                       \
            ++expect_failures;                    \
            std::printf("FAIL %s: ", #condition); \
            std::printf(__VA_ARGS__);             \
            std::printf("\n");                    \
        }                                         \
    } while (0)
