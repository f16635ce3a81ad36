/**
 * The Python side of the Python test worker, as source text run by Pyodide. It collects, from
 * one test module: module-level `test*` functions and `Test*` classes (pytest style, plain
 * `assert`, `setup_method`/`teardown_method`) and the test methods of `unittest.TestCase` subclasses, then runs them in order, reporting each through the
 * `flint_bridge` JS module. Ids are collection order, as in the JS harness, so a killed worker
 * resumes with `skip_ids`.
 */
export const PY_ROOT = '/flint';

export const PY_HARNESS = String.raw`
import ast, importlib.util, inspect, json, os, sys, time, traceback, unittest
import flint_bridge as bridge

ROOT = ${JSON.stringify(PY_ROOT)}

def _clip(s, n=4000):
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"

def _assert_detail(tb):
    """For a failed plain assert, the statement and, for a simple comparison, both sides."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return None, None, None
    line = (frames[-1].line or "").strip()
    expected = actual = None
    try:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
                and isinstance(node.test.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            last = tb
            while last.tb_next is not None:
                last = last.tb_next
            frame = last.tb_frame
            has_call = any(isinstance(n, ast.Call) for n in ast.walk(node.test))
            if not has_call:  # evaluating again must not run code with side effects
                env = dict(frame.f_globals); env.update(frame.f_locals)
                actual = repr(eval(compile(ast.Expression(node.test.left), "<assert>", "eval"), env))
                expected = repr(eval(compile(ast.Expression(node.test.comparators[0]), "<assert>", "eval"), env))
    except Exception:
        pass
    return line, expected, actual

def _error(exc):
    tb = exc.__traceback__
    name = type(exc).__name__
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    err = {"name": name, "message": _clip(f"{name}: {exc}" if str(exc) else name), "stack": _clip(text, 20000)}
    if isinstance(exc, AssertionError):
        line, expected, actual = _assert_detail(tb)
        if not str(exc) and line:
            err["message"] = _clip("AssertionError: " + line)
        if expected is not None:
            err["expected"] = _clip(expected)
            err["actual"] = _clip(actual)
    return err

def _forget_session_modules():
    """Each file imports the session's modules afresh: the files may have changed since."""
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(ROOT + "/"):
            del sys.modules[name]
    importlib.invalidate_caches()

def _load(path):
    _forget_session_modules()
    full = os.path.join(ROOT, path)
    folder = os.path.dirname(full)
    for p in (folder, ROOT):
        if p not in sys.path:
            sys.path.insert(0, p)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, full)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

class _Reporter(unittest.TestResult):
    def __init__(self, ids, emit):
        super().__init__()
        self.ids = ids
        self.emit = emit
        self.started = {}
    def startTest(self, test):
        super().startTest(test)
        self.started[test.id()] = time.perf_counter()
        bridge.test_start(self.ids[test.id()])
    def _done(self, test, status, err=None):
        t0 = self.started.get(test.id(), time.perf_counter())
        self.emit(self.ids[test.id()], status, (time.perf_counter() - t0) * 1000, err)
    def addSuccess(self, test):
        self._done(test, "passed")
    def addFailure(self, test, err):
        self._done(test, "failed", _error(err[1]))
    def addError(self, test, err):
        if isinstance(test, unittest.case._SubTest):
            test = test.test_case
        if test.id() in self.ids:
            self._done(test, "failed", _error(err[1]))
        else:  # setUpClass / tearDownClass
            bridge.file_error(json.dumps(_error(err[1])))
    def addSkip(self, test, reason):
        if test.id() in self.ids:
            self.emit(self.ids[test.id()], "skipped", 0, None)
    def addExpectedFailure(self, test, err):
        self._done(test, "passed")
    def addUnexpectedSuccess(self, test):
        self._done(test, "failed", {"message": "unexpected success (the test is marked expectedFailure)"})

def run(path, skip_ids, wanted):
    skip_ids = set(skip_ids)
    try:
        module = _load(path)
    except BaseException as exc:
        bridge.file_error(json.dumps(_error(exc)))
        bridge.collected("[]")
        return
    items = []  # (id, names, kind, target)
    for name, obj in list(vars(module).items()):
        if inspect.isfunction(obj) and name.startswith("test") and obj.__module__ == module.__name__:
            items.append(([name], "function", obj))
        elif inspect.isclass(obj) and issubclass(obj, unittest.TestCase) and obj.__module__ == module.__name__:
            for method in unittest.TestLoader().getTestCaseNames(obj):
                items.append(([name, method], "case", (obj, method)))
        elif inspect.isclass(obj) and name.startswith("Test") and obj.__module__ == module.__name__ \
                and "__init__" not in vars(obj):
            # pytest-style class: a fresh instance per test, with setup_method/teardown_method.
            for method in sorted(m for m, f in vars(obj).items() if m.startswith("test") and callable(f)):
                items.append(([name, method], "method", (obj, method)))
    tests = [(str(i), names, kind, target) for i, (names, kind, target) in enumerate(items)]
    selected = [t for t in tests if t[0] not in skip_ids and (wanted is None or " > ".join(t[1]) == wanted)]
    bridge.collected(json.dumps([{"id": i, "name": names} for i, names, _, _ in selected]))

    def emit(test_id, status, ms, err):
        names = next(n for i, n, _, _ in tests if i == test_id)
        result = {"id": test_id, "name": names, "status": status, "durationMs": max(0.0, ms)}
        if err is not None:
            result["error"] = err
        bridge.test_end(json.dumps(result))

    def call_method(cls, method):
        instance = cls()
        setup = getattr(instance, "setup_method", None)
        teardown = getattr(instance, "teardown_method", None)
        if setup:
            setup(getattr(instance, method))
        try:
            getattr(instance, method)()
        finally:
            if teardown:
                teardown(getattr(instance, method))

    for test_id, names, kind, target in selected:
        if kind in ("function", "method"):
            bridge.test_start(test_id)
            t0 = time.perf_counter()
            try:
                target() if kind == "function" else call_method(*target)
                emit(test_id, "passed", (time.perf_counter() - t0) * 1000, None)
            except unittest.SkipTest:
                emit(test_id, "skipped", 0, None)
            except BaseException as exc:
                emit(test_id, "failed", (time.perf_counter() - t0) * 1000, _error(exc))
    cases = [(test_id, target) for test_id, _, kind, target in selected if kind == "case"]
    if cases:
        suite = unittest.TestSuite()
        ids = {}
        for test_id, (cls, method) in cases:
            case = cls(method)
            ids[case.id()] = test_id
            suite.addTest(case)
        suite.run(_Reporter(ids, emit))
`;
