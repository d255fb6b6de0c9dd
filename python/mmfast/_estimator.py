"""The scikit-learn parameter protocol shared by every mmfast estimator:
parameters are the ``__init__`` arguments, stored as attributes of the same
name."""

from __future__ import annotations

import inspect
from typing import Any


class Estimator:
    """get_params / set_params / repr from the ``__init__`` signature."""

    @classmethod
    def _param_defaults(cls) -> dict[str, Any]:
        parameters = inspect.signature(cls.__init__).parameters
        return {name: p.default for name, p in parameters.items() if name != "self"}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_defaults()}

    def set_params(self, **params: Any) -> Any:
        valid = list(self._param_defaults())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """Like scikit-learn: only the parameters that differ from the defaults."""
        defaults = self._param_defaults()
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if value is not defaults[name] and value != defaults[name]
        ]
        return f"{type(self).__name__}({', '.join(changed)})"
