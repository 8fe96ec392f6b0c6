# Versions of the metrics components beside the local control plane. Sourced by build.sh and
# the cluster scripts. A version change changes the cache key, so a new build sits beside the old.
PROMETHEUS_VERSION=3.16.0      # github.com/prometheus/prometheus v0.316.0 (Go module v0.3MM.P = release 3.MM.P)
METRICS_SERVER_VERSION=0.8.0   # sigs.k8s.io/metrics-server; 0.9.x not tried here
CHATOPS_K8S_CACHE=${CHATOPS_K8S_CACHE:-$HOME/.cache/chatops-k8s}
PROMETHEUS_DIR="$CHATOPS_K8S_CACHE/prometheus-$PROMETHEUS_VERSION"
METRICS_SERVER_DIR="$CHATOPS_K8S_CACHE/metrics-server-$METRICS_SERVER_VERSION"
