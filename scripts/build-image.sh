#!/usr/bin/env bash
# build-image.sh builds the demo stack's etcd image locally, with no container registry.
#
#   scripts/build-image.sh [version] [tag]      e.g. scripts/build-image.sh 3.6.16
#
# version defaults to 3.6.16; tag defaults to etcdpm/etcd:v<version>. The image is FROM scratch
# (docker/etcd/Dockerfile) and holds:
#   - etcd and etcdctl built static from the Go module proxy by scripts/build-etcd.sh
#     (cached in .cache/etcd/v<version>/), in /usr/local/bin like the official image;
#   - busybox from Debian's busybox-static package as /bin/busybox, /bin/sh and its applets,
#     so that `docker compose exec etcd3 sh -c 'etcdctl ...'` works.
# The package is installed with apt-get when missing and this runs as root; else set
# BUSYBOX=/path/to/a/static/busybox. Use the image with the stack:
#   ETCD_IMAGE=etcdpm/etcd:v3.6.16 docker compose up -d
set -euo pipefail

version="${1:-3.6.16}"
version="${version#v}"
tag="${2:-etcdpm/etcd:v$version}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
docker="${DOCKER:-docker}"

die() { echo "build-image: $*" >&2; exit 1; }

command -v "$docker" >/dev/null 2>&1 || die "docker is not installed"
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "the Docker daemon is not reachable (docker version fails)"

# busybox: static, so that it runs in a scratch image.
busybox="${BUSYBOX:-/bin/busybox}"
if [[ -z "${BUSYBOX:-}" ]] && ! dpkg -s busybox-static >/dev/null 2>&1; then
	if [[ "$(id -u)" = 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "build-image: installing Debian's busybox-static"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
	else
		die "busybox-static is missing: apt-get install busybox-static (or set BUSYBOX=/path/to/static/busybox)"
	fi
fi
[[ -x "$busybox" ]] || die "$busybox is not an executable"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; a scratch image needs a static one (Debian: busybox-static)"
fi

# etcd and etcdctl, static, from the Go module proxy (skipped when already built).
"$repo_root/scripts/build-etcd.sh" "$version"
bin="$repo_root/.cache/etcd/v$version"

ctx="$(mktemp -d "${TMPDIR:-/tmp}/build-image-$version.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
cp "$bin/etcd" "$bin/etcdctl" "$ctx/"
cp "$busybox" "$ctx/busybox"
cp "$repo_root/docker/etcd/Dockerfile" "$ctx/Dockerfile"

# The legacy builder and BuildKit both build this Dockerfile; DOCKER_BUILDKIT is left as is.
"$docker" build --build-arg "ETCD_VERSION=$version" -t "$tag" "$ctx"

got="$("$docker" run --rm "$tag" etcd --version | sed -n 's/^etcd Version: //p')"
[[ "$got" == "$version" ]] || die "$tag: etcd --version says ${got:-nothing}, want $version"
"$docker" run --rm "$tag" sh -c 'etcdctl version >/dev/null' || die "$tag: sh -c etcdctl fails"
echo "build-image: built $tag (etcd $version, etcdctl, busybox sh)"
