#!/usr/bin/python3
"""A test RTSP camera that sends VP8, not H.264: the media service must transcode it.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good).
Takes the same --port as scripts/engines/rtsp-camera.py and ignores its other options.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


class AnyPath(GstRtspServer.RTSPMountPoints):
    def do_make_path(self, url):
        path = url.abspath or ""
        return "/cam" + (path[path.rfind("/stream="):] if "/stream=" in path else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args, _ = parser.parse_known_args()
    Gst.init(None)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=10/1 "
        "! vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay name=pay0 pt=96 )"
    )
    mounts = AnyPath()
    mounts.add_factory("/cam", factory)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.set_mount_points(mounts)
    if server.attach(None) == 0:
        return 1
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
