/* Converts CP1252 to UTF-8: glibc loads the CP1252 gconv module from its gconv directory. */
#include <iconv.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    iconv_t cd = iconv_open("UTF-8", "CP1252");
    if (cd == (iconv_t)-1) {
        perror("iconv: CP1252");
        return 1;
    }
    char in[] = "caf\xe9 \x80 5";
    char out[64];
    char *ip = in, *op = out;
    size_t il = strlen(in), ol = sizeof out - 1;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        perror("iconv");
        return 1;
    }
    *op = '\0';
    printf("iconv: %s\n", out);
    return 0;
}
