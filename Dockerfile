# syntax=docker/dockerfile:1
# The Runway worker. TypeScript runs directly through tsx (a runtime dependency): no build step,
# so the image runs exactly the sources that were reviewed.
FROM node:20-bookworm-slim

# openssh-client only for ssh-keygen (host-key fingerprints); SSH connections themselves use ssh2.
# ca-certificates for TLS to Temporal Cloud, Slack and ACME directories.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production
# `node --import tsx` resolves tsx from the working directory, so it stays /app.
WORKDIR /app

# Dependencies before sources, so editing a runbook does not reinstall node_modules.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# One COPY per folder: COPY of several directories would flatten their contents into /app.
COPY core ./core
COPY config ./config
COPY workflows ./workflows
COPY runbooks ./runbooks
COPY activities ./activities
COPY worker ./worker
COPY client ./client
COPY bin ./bin

# A wrapper rather than a symlink, so bin/runway sees its real path in $0 whichever way it
# locates client/cli.ts.
RUN chmod 0755 bin/runway \
 && printf '#!/bin/sh\nexec /app/bin/runway "$@"\n' > /usr/local/bin/runway \
 && chmod 0755 /usr/local/bin/runway

# Sources stay root-owned and read-only to the worker; a fixed uid lets the host grant it the
# secret files (compose bind-mounts them with their host owner).
RUN groupadd --system --gid 10001 runway \
 && useradd --system --uid 10001 --gid runway --create-home --home-dir /home/runway \
      --shell /usr/sbin/nologin runway
USER runway

# Drop the node image's docker-entrypoint.sh: the command below is the whole process.
ENTRYPOINT []
CMD ["runway", "worker"]
