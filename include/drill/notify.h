/*
 * notify.h - tells the service manager how drilld is doing (systemd's
 * sd_notify protocol, without linking libsystemd): "READY=1" once drilld
 * serves, "RELOADING=1"/"READY=1" around a reload, "STOPPING=1" when it
 * stops, "STATUS=..." for `systemctl status`.
 *
 * The target is the datagram socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name starting with '@'). Without it every call does nothing, so
 * drilld runs the same outside systemd.
 */
#ifndef DRILL_NOTIFY_H
#define DRILL_NOTIFY_H

#include "drill/common.h"

/*
 * Sends one notification (e.g. "READY=1\nSTATUS=serving"). Returns 0 when
 * sent or when there is no $NOTIFY_SOCKET, DRILL_EINVAL for a malformed
 * $NOTIFY_SOCKET, DRILL_EIO when the send failed. Never blocks.
 */
int notify_send(const char *state) DRILL_WUR;

#endif
