/* Service and protocol names through glibc's netdb: both read files that FROM scratch images lack. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>

int main(void) {
    int failed = 0;
    struct servent *s = getservbyname("postgresql", "tcp");
    if (s) {
        printf("runtime-files-c: getservbyname(postgresql, tcp) -> %d\n", ntohs((unsigned short)s->s_port));
    } else {
        fprintf(stderr, "runtime-files-c: FAIL: getservbyname(postgresql, tcp) found nothing (is /etc/services missing?)\n");
        failed++;
    }
    struct protoent *p = getprotobyname("sctp");
    if (p) {
        printf("runtime-files-c: getprotobyname(sctp) -> %d\n", p->p_proto);
    } else {
        fprintf(stderr, "runtime-files-c: FAIL: getprotobyname(sctp) found nothing (is /etc/protocols missing?)\n");
        failed++;
    }
    if (failed) {
        return 1;
    }
    printf("runtime-files-c: all checks ok\n");
    return 0;
}
