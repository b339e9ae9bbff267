@_exported import DemoPictures
