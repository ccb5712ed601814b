print("fpgm")
