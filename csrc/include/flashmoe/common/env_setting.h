// Settings read from the environment for A/B runs (FLASHMOE_* variables; docs/perf-notes.md names each one's item).
// Host only. A malformed value is refused with INVALID_ARGUMENT naming the variable, never silently ignored.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/common/error.h"

namespace flashmoe {

// Whether a flag is set: present, non-empty and not "0".
inline bool env_flag(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && value[0] != '\0' && std::strcmp(value, "0") != 0;
}

// An integer setting: `unset` when absent or empty; INVALID_ARGUMENT naming the variable unless it is an integer in
// [lo, hi].
inline int32_t int_setting(const char* name, long lo, long hi, int32_t unset) {
    const char* value = std::getenv(name);
    if (value == nullptr || value[0] == '\0') return unset;
    char* end = nullptr;
    const long number = std::strtol(value, &end, 10);
    if (*end != '\0' || number < lo || number > hi)
        throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT, std::string(name) + " must be an integer in " +
                                                         std::to_string(lo) + " .. " + std::to_string(hi) + ", not '" +
                                                         value + "'");
    return static_cast<int32_t>(number);
}

// A setting that takes one of a few integers: `unset` when absent or empty; INVALID_ARGUMENT naming the variable and
// its choices unless the value is one of `choices` written in decimal.
inline int32_t choice_setting(const char* name, const std::vector<int32_t>& choices, int32_t unset) {
    const char* value = std::getenv(name);
    if (value == nullptr || value[0] == '\0') return unset;
    std::string listed;
    for (size_t i = 0; i < choices.size(); ++i) {
        if (std::to_string(choices[i]) == value) return choices[i];
        listed += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::to_string(choices[i]);
    }
    throw Error(FLASHMOE_ERROR_INVALID_ARGUMENT, std::string(name) + " must be " + listed + ", not '" + value + "'");
}

}  // namespace flashmoe
