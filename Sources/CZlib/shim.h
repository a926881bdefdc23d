#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

// zlib's init functions are macros that Swift cannot import; these wrappers are.
static inline int czlib_deflateInit(z_streamp stream, int level) {
    return deflateInit(stream, level);
}
static inline int czlib_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}
#endif
