"""Tool-call parsing: model output (tagged text, bare JSON, structured messages) to call records."""
