# shellcheck shell=bash
# Test camera: rtsp-camera.py (GStreamer RTSP server) serving H.264 at rtsp://127.0.0.1:PORT/<any>.
# ffmpeg rides along: the project's camera sessions and the checks below use it.

CAMERA_PORT="${CAMERA_PORT:-8554}"
CAMERA_SIZE="${CAMERA_SIZE:-1280x720}"
CAMERA_FPS="${CAMERA_FPS:-25}"
CAMERA_SHARED="${CAMERA_SHARED:-0}"   # 1: one pipeline per path shared by its clients
CAMERA_START_TIMEOUT="${CAMERA_START_TIMEOUT:-20}"
# Debian's python: the GStreamer bindings (python3-gi) are not in other pythons on PATH.
CAMERA_PYTHON=/usr/bin/python3

# gstreamer1.0-x holds the pango plugin (clockoverlay) on Debian 12; -ugly has x264enc.
camera_apt_packages() {
  echo ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base \
    gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-x
}
camera_port() { echo "$CAMERA_PORT"; }
camera_pattern() { echo rtsp-camera.py; }
camera_timeout() { echo "$CAMERA_START_TIMEOUT"; }

camera_install() {
  "$CAMERA_PYTHON" -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer' ||
    die "camera: GStreamer RTSP server bindings missing for $CAMERA_PYTHON"
}

camera_start() {
  local args=(--port "$CAMERA_PORT" --size "$CAMERA_SIZE" --fps "$CAMERA_FPS") pid
  [[ "$CAMERA_SHARED" == 1 ]] && args+=(--shared)
  # -u: unbuffered, so its log line reaches .data/logs/camera.log at once.
  spawn camera camera "$CAMERA_PYTHON" -u "$ENGINES_DIR/rtsp-camera.py" "${args[@]}"
  pid="$(<"$(pid_file camera)")"
  log "camera: started pid $pid (rtsp://127.0.0.1:$CAMERA_PORT/<any-path>)"
}

camera_ready() { port_accepts "$CAMERA_PORT"; }

camera_stop() { stop_group camera "$(camera_pattern)" 10; }
