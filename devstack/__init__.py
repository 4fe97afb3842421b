"""Throwaway ejabberd, Prosody and MariaDB servers on loopback for tests and demos (stdlib only)."""

from devstack.ejabberd import Ejabberd, EjabberdPorts
from devstack.mariadb import MariaDB
from devstack.ports import free_port, free_ports
from devstack.prosody import Prosody

__all__ = ["Ejabberd", "EjabberdPorts", "MariaDB", "Prosody", "free_port", "free_ports"]
