"""Throwaway ejabberd and MariaDB servers on loopback for tests and demos (stdlib only)."""

from devstack.ejabberd import Ejabberd, EjabberdPorts
from devstack.mariadb import MariaDB
from devstack.ports import free_port, free_ports

__all__ = ["Ejabberd", "EjabberdPorts", "MariaDB", "free_port", "free_ports"]
