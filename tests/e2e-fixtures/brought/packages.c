/* Uses what two whole packages bring: a font of fonts-dejavu-core (read as the image's user) and NSS
 * from libnss3 (opened by name; it needs libnspr4's libraries, which the package does not hold). */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    FILE *f = fopen("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "rb");
    unsigned char head[4] = {0};
    if (!f || fread(head, 1, 4, f) != 4) {
        perror("font");
        return 1;
    }
    void *nss = dlopen("libnss3.so", RTLD_NOW);
    if (!nss) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    const char *(*version)(void) = (const char *(*)(void))dlsym(nss, "NSS_GetVersion");
    printf("font %02x%02x%02x%02x; NSS %s\n", head[0], head[1], head[2], head[3], version());
    return 0;
}
