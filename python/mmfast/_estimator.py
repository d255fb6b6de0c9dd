"""The scikit-learn parameter protocol shared by every mmfast estimator:
parameters are the ``__init__`` arguments, stored as attributes of the same
name; a parameter that is itself an estimator (Classifier's ``quantizer``)
exposes its own as ``<name>__<parameter>``."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

_Self = TypeVar("_Self", bound="Estimator")
# Parameters renamed to scikit-learn's names, and the native object's old
# attribute name: model files and pickles written under the old names still load.
_RENAMED = {"threads": "n_jobs", "seed": "random_state", "_model": "_native"}


def renamed(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the old names of renamed parameters replaced."""
    return {_RENAMED.get(name, name): value for name, value in params.items()}


class Estimator:
    """get_params / set_params / repr from the ``__init__`` signature."""

    @classmethod
    def _param_defaults(cls) -> dict[str, Any]:
        parameters = inspect.signature(cls.__init__).parameters
        return {name: p.default for name, p in parameters.items() if name != "self"}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that are estimators, as
            ``<parameter>__<name>`` (e.g. ``quantizer__n_bits``).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = {name: getattr(self, name) for name in self._param_defaults()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    params.update(
                        (f"{name}__{key}", inner) for key, inner in value.get_params().items()
                    )
        return params

    def set_params(self: _Self, **params: Any) -> _Self:
        """Set the parameters of this estimator.

        Parameters
        ----------
        **params : dict
            Parameter names mapped to new values; ``<parameter>__<name>`` sets a
            parameter of a parameter that is an estimator.

        Returns
        -------
        self : estimator
            This estimator, with the new parameters; it is not refitted.
        """
        valid = list(self._param_defaults())
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, inner = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}"
                )
            if inner:
                nested.setdefault(name, {})[inner] = value
            else:
                setattr(self, name, value)
        for name, inner_params in nested.items():
            owner = getattr(self, name)
            if not hasattr(owner, "set_params"):
                raise ValueError(
                    f"invalid parameter {name}__{next(iter(inner_params))!r}: "
                    f"{name} of {type(self).__name__} is {owner!r}, which has no parameters"
                )
            owner.set_params(**inner_params)
        return self

    def __repr__(self) -> str:
        """Like scikit-learn: only the parameters that differ from the defaults."""
        defaults = self._param_defaults()
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params(deep=False).items()
            if value is not defaults[name] and value != defaults[name]
        ]
        return f"{type(self).__name__}({', '.join(changed)})"
