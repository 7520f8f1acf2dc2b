#ifndef HOOKSCOPE_CZLIB_SHIM_H
#define HOOKSCOPE_CZLIB_SHIM_H
#include <zlib.h>
#endif
