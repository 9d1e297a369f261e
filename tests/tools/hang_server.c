/* A TCP server that accepts connections and never answers: the peer a time limit
 * exists for. Prints its port, then serves until killed or for at most 60 s.
 *   hang_server [PIDFILE]                                                    */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("hang_server");
        return 1;
    }
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    printf("%u\n", ntohs(sa.sin_port));
    fflush(stdout);
    static int held[64];
    int n = 0;
    time_t end = time(NULL) + 60;
    while (time(NULL) < end) {
        struct timeval tv = {.tv_sec = 1};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int c = accept(fd, NULL, NULL);
        if (c >= 0 && n < 64)
            held[n++] = c; /* keep it open, say nothing */
        else if (c >= 0)
            close(c);
    }
    for (int i = 0; i < n; i++)
        close(held[i]);
    return 0;
}
