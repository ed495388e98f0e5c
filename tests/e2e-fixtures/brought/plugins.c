/* Opens two libraries by name, as a program opens its plugins: zlib by soname, and a plugin of its own
 * by path (which needs libbz2 through DT_NEEDED). No DT_NEEDED entry of the program names either. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *z = dlopen("libz.so.1", RTLD_NOW);
    if (!z) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    const char *(*zlib_version)(void) = (const char *(*)(void))dlsym(z, "zlibVersion");
    void *p = dlopen("/opt/plugins/greet.so", RTLD_NOW);
    if (!p) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    const char *(*greet)(void) = (const char *(*)(void))dlsym(p, "greet");
    printf("zlib %s; %s\n", zlib_version(), greet());
    return 0;
}
