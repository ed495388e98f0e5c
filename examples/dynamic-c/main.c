/* A C program built with plain gcc: dynamically linked against libc and libsqlite3. */
#include <sqlite3.h>
#include <stdio.h>

int main(void) {
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "dynamic-c: cannot open sqlite\n");
        return 1;
    }
    printf("dynamic-c: sqlite %s in memory ok\n", sqlite3_libversion());
    sqlite3_close(db);
    return 0;
}
