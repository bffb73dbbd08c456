# Stand-in for the official redis:7-bookworm, made only where no registry can be pulled from
# (scripts/base_images.sh): Debian bookworm's Redis 7.0, data in /data, run as the redis user.
ARG BASE
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no"]
