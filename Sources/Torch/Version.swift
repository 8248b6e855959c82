import CTorch
public let version = String(cString: lt_version())
