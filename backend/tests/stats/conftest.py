from tests.events.conftest import sessionmaker, store

__all__ = ["sessionmaker", "store"]
