# shellcheck shell=bash
# Sourced by scripts/start.sh and scripts/test.sh: with SIGHTLINE_ENGINES=cluster the services get
# every node of both clusters (engines.sh's ports: RABBITMQ_PORT.. +2, ELASTICSEARCH_PORT.. +2),
# unless AMQP_URL / ELASTICSEARCH_URL are set already.
if [[ "${SIGHTLINE_ENGINES:-single}" == cluster ]]; then
  sightline_node_urls() { # PREFIX BASE_PORT SUFFIX
    local k list=""
    for k in 0 1 2; do list+="${list:+,}$1$(($2 + k))$3"; done
    printf '%s' "$list"
  }
  : "${AMQP_URL:=$(sightline_node_urls amqp://guest:guest@127.0.0.1: "${RABBITMQ_PORT:-5672}" '')}"
  : "${ELASTICSEARCH_URL:=$(sightline_node_urls http://127.0.0.1: "${ELASTICSEARCH_PORT:-9200}" '')}"
  export AMQP_URL ELASTICSEARCH_URL
fi
