print("hookscope")
