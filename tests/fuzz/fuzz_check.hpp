#pragma once
// What the fuzz targets share: a check that stops the run with a message when an invariant of the code under
// test is broken. libFuzzer records the input that broke it as a crash, like any sanitizer report.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
