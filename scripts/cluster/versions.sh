# Versions of the local control plane. Sourced by build.sh and up.sh.
# Changing any of these changes the cache key, so a new set is built beside the old one.
K8S_VERSION=1.36.3     # kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes)
ETCD_VERSION=3.6.8     # the etcd that k8s 1.36.3's own go.mod pins its client to
KWOK_VERSION=0.8.0     # simulated kubelets (sigs.k8s.io/kwok)
CHATOPS_K8S_CACHE=${CHATOPS_K8S_CACHE:-$HOME/.cache/chatops-k8s}
CLUSTER_BIN_DIR="$CHATOPS_K8S_CACHE/bin-k8s$K8S_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION"
