print("anna-example-executa: not yet implemented")
