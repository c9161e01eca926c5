#!/usr/bin/env python3
"""Image uploads through the real binary: wall time and server CPU per upload, two builds side by
side in the same run.

  bench/image_upload.py [--runs R] [--base BIN] [--new BIN]

1. Makes three large photo-like test images with the `vips` command (libvips-tools): a 6000×4000
   JPEG (24 MP), a 6000×4000 WebP and a 3000×2000 PNG (noise blurred into texture, over a
   gradient, so that they compress like photographs rather than flat colour).
2. For each build (--base: default /work/main/build/broadsheet or $BASE_BIN; --new: default
   this tree's build/broadsheet), starts `broadsheet serve` on a fresh site with one editor.
3. R times (default 5), alternating the builds, uploads each image to /admin/media and measures
   the request's wall time and the server process's user + system CPU time over it (from
   /proc/PID/stat). An upload is decoded, made upright, stripped, re-encoded, and its variants
   (480, 960, 1600 wide, in its format and WebP) written, so this times the whole variant step.
4. Prints the medians per image and build, and their ratio, as a Markdown table (also written to
   bench/out/image_upload.md).

Needs libvips-tools (apt-get install libvips-tools) for the test images.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "..", "tests", "integration"))
import harness  # noqa: E402
from test_desk import PASSWORD, Browser, add_user  # noqa: E402
from test_media import csrf_of, post_multipart  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def make_images(folder):
    def vips(*args):
        subprocess.run(["vips", *args], check=True, cwd=folder)
    vips("gaussnoise", "n.v", "6000", "4000", "--sigma", "60", "--mean", "128")
    vips("gaussblur", "n.v", "b.v", "1.5")
    vips("cast", "b.v", "u.v", "uchar")
    vips("xyz", "x.v", "6000", "4000")
    vips("extract_band", "x.v", "xb.v", "0")
    vips("linear", "xb.v", "g.v", "0.04", "0")
    vips("cast", "g.v", "gu.v", "uchar")
    vips("bandjoin", "u.v gu.v u.v", "rgb.v")
    vips("copy", "rgb.v", "photo.jpg[Q=90]")
    vips("copy", "rgb.v", "photo.webp[Q=85]")
    vips("crop", "rgb.v", "c.v", "0", "0", "3000", "2000")
    vips("copy", "c.v", "photo.png")
    images = {}
    for name, kind in (("photo.jpg", "image/jpeg"), ("photo.webp", "image/webp"), ("photo.png", "image/png")):
        with open(os.path.join(folder, name), "rb") as f:
            images[name] = (f.read(), kind)
    for name in os.listdir(folder):
        if name.endswith(".v"):
            os.unlink(os.path.join(folder, name))
    return images


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Target:
    def __init__(self, label, binary):
        self.label = label
        harness.BIN = binary
        self.server = harness.Server(content=None)
        done = add_user(self.server, "editor@example.org", "editor", PASSWORD, "Eda Editor")
        assert done.returncode == 0, done.stderr
        self.server.start()
        self.editor = Browser(self.server)
        assert self.editor.sign_in("editor@example.org", PASSWORD)[0] == 303
        self.csrf = csrf_of(self.editor.request("GET", "/admin/media")[2])

    def upload(self, name, data, kind):
        pid = self.server.process.pid
        cpu = cpu_seconds(pid)
        started = time.monotonic()
        status, _, _ = post_multipart(self.editor, "/admin/media", {"csrf": self.csrf, "alt": "Bench"},
                                      {"file": (name, data, kind)})
        wall = time.monotonic() - started
        assert status == 303, f"{self.label}: {name} answered {status}"
        return wall, cpu_seconds(pid) - cpu

    def close(self):
        self.server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", default=os.environ.get("BASE_BIN", "/work/main/build/broadsheet"))
    parser.add_argument("--new", default=os.path.join(ROOT, "..", "build", "broadsheet"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="broadsheet-images-")
    images = make_images(folder)
    targets = [Target("before", os.path.abspath(args.base)), Target("after", os.path.abspath(args.new))]
    samples = {(t.label, name): ([], []) for t in targets for name in images}
    try:
        for _ in range(args.runs):
            for name, (data, kind) in images.items():
                for target in targets:
                    wall, cpu = target.upload(name, data, kind)
                    samples[(target.label, name)][0].append(wall)
                    samples[(target.label, name)][1].append(cpu)
    finally:
        for target in targets:
            target.close()
    lines = ["| image | size | wall before (s) | wall after (s) | CPU before (s) | CPU after (s) | CPU after/before |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, (data, _) in images.items():
        wb, cb = (statistics.median(v) for v in samples[("before", name)])
        wa, ca = (statistics.median(v) for v in samples[("after", name)])
        lines.append(f"| {name} | {len(data) / 1e6:.1f} MB | {wb:.2f} | {wa:.2f} | {cb:.2f} | {ca:.2f} | {ca / cb:.2f} |")
    report = "\n".join(lines) + f"\n\nMedians of {args.runs} runs each, builds alternating.\n"
    print(report)
    os.makedirs(os.path.join(ROOT, "out"), exist_ok=True)
    with open(os.path.join(ROOT, "out", "image_upload.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
