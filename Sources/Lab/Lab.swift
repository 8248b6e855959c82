// A script needs only `import Lab`: the engine comes with it.
@_exported import Torch
@_exported import Reports
@_exported import Multimodal
