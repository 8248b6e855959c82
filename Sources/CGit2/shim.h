// The C surface of libgit2 that Lab's provenance code imports as the `CGit2` module.
// Found through pkg-config (`pkg-config --cflags --libs libgit2`); Debian: libgit2-dev.
#ifndef LAB_CGIT2_SHIM_H
#define LAB_CGIT2_SHIM_H

#include <git2.h>

#endif
