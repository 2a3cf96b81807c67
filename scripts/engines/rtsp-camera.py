#!/usr/bin/python3
"""A real RTSP test camera: live generated H.264 at rtsp://127.0.0.1:PORT/<any path>.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-base/-good/-ugly). Stop it with SIGTERM/SIGINT; SIGSTOP/SIGCONT
simulate a stalled camera.
"""

import argparse
import os
import re
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

MOUNT = "/cam"
# The stream part of a SETUP/PLAY url, e.g. /cam1/stream=0: kept so the server still finds
# the stream inside the media.
STREAM_SUFFIX = re.compile(r"(/stream=\d+)$")


class AnyPathMounts(GstRtspServer.RTSPMountPoints):
    """Maps every request path onto the single factory at MOUNT.

    The factory's shared-media key is built from the request url itself, not from this
    path, so in --shared mode clients of one path share a pipeline and other paths get
    their own.
    """

    def do_make_path(self, url):
        match = STREAM_SUFFIX.search(url.abspath or "")
        return MOUNT + (match.group(1) if match else "")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CAMERA_PORT", "8554")))
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one pipeline per path shared by all its clients (cheap for many clients); "
        "default: each client gets its own pipeline, so test clients do not disturb each other",
    )
    args = parser.parse_args()
    size = re.fullmatch(r"(\d+)x(\d+)", args.size)
    if not size:
        parser.error("--size must look like 1280x720")
    args.width, args.height = int(size.group(1)), int(size.group(2))
    return args


def pipeline(args):
    # A wall-clock overlay makes latency visible; fall back if the pango plugin is missing.
    overlay = ""
    for name in ("clockoverlay", "timeoverlay"):
        if Gst.ElementFactory.find(name):
            overlay = f"! {name} "
            break
    return (
        "( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
        f"{overlay}"
        "! videoconvert "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main():
    args = parse_args()
    Gst.init(None)

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args))
    factory.set_shared(args.shared)

    mounts = AnyPathMounts()
    mounts.add_factory(MOUNT, factory)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")  # loopback only
    server.set_service(str(args.port))
    server.set_mount_points(mounts)
    if server.attach(None) == 0:
        print(f"rtsp-camera: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)

    print(
        f"rtsp-camera: serving rtsp://127.0.0.1:{args.port}/<any-path> "
        f"H.264 {args.width}x{args.height}@{args.fps} "
        f"{'shared' if args.shared else 'one pipeline per client'} (pid {os.getpid()})",
        flush=True,
    )
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
