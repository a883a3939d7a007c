"""The Ray cluster a round uses: one connection per process, shared by sandbox runs and call workers."""

from ._connect import DOCKER_RESOURCE, LOCAL_NODE_IP, ClusterError, connect_ray

__all__ = ["DOCKER_RESOURCE", "LOCAL_NODE_IP", "ClusterError", "connect_ray"]
