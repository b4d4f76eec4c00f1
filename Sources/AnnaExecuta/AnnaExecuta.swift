// The executa SDK module (see issue 5).
