# TaskApp front end: the same static files the backend serves locally, on nginx (port 8080).
# Build from the repository root:
#   docker build -f deploy/taskapp/frontend.Dockerfile -t taskapp-frontend .
# nginx-unprivileged runs as uid 101; with a read-only root file system mount an emptyDir at
# /tmp (nginx's pid file and temp paths). The edge routes /api/ to the backend.
# Base pinned by exact tag; pin by digest too when you build (no Docker engine was available
# where this file was written).
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.29.3-alpine

FROM ${NGINX_IMAGE}
COPY deploy/taskapp/frontend.nginx.conf /etc/nginx/conf.d/default.conf
COPY src/taskapp/static/ /usr/share/nginx/html/
USER 101:101
EXPOSE 8080
