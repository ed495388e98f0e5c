/* A library that opens libbar.so.1 with dlopen, and says so in a `.note.dlopen` note as systemd's
 * libraries do (owner FDO, type 0x407c0c0a, a JSON list): no DT_NEEDED entry names libbar. */
#include <dlfcn.h>

#define DLOPEN_JSON "[{\"feature\":\"bar\",\"description\":\"bar support\",\"priority\":\"required\",\"soname\":[\"libbar.so.1\"]}]"

__attribute__((used, section(".note.dlopen"), aligned(4))) static const struct {
    unsigned namesz, descsz, type;
    char name[4];
    char desc[sizeof(DLOPEN_JSON)];
} dlopen_note = {4, sizeof(DLOPEN_JSON), 0x407c0c0a, "FDO", DLOPEN_JSON};

const char *foo(void) {
    void *bar = dlopen("libbar.so.1", RTLD_NOW);
    if (!bar)
        return dlerror();
    return ((const char *(*)(void))dlsym(bar, "bar"))();
}
