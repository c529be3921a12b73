/*
 * notify.c - the sd_notify protocol: one datagram to $NOTIFY_SOCKET per
 * state change. It does not implement the watchdog or file-descriptor
 * passing, and it does not unset the variable (children may not inherit it:
 * drilld starts none).
 */
#include "drill/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t len;
	ssize_t n;
	int fd, rc = 0;

	if (path == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return DRILL_EINVAL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* an abstract socket */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return DRILL_EIO;
	do
		n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != strlen(state))
		rc = DRILL_EIO;
	close(fd);
	return rc;
}
