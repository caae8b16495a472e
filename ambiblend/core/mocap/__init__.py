"""Motion-capture files (BVH): the one reader, forward kinematics and the map to 17 joints."""
