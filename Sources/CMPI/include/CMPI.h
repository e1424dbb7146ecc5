// Open MPI's predefined handles are C macros that expand to addresses of internal globals, which Swift
// cannot import. Each one is exposed here as a prefixed function.
#ifndef SOFTPROMPT_CMPI_H
#define SOFTPROMPT_CMPI_H

#include <mpi.h>

MPI_Comm cmpi_comm_world(void);
MPI_Datatype cmpi_float(void);
MPI_Datatype cmpi_double(void);
MPI_Datatype cmpi_byte(void);
MPI_Datatype cmpi_int32(void);
MPI_Datatype cmpi_int64(void);
MPI_Op cmpi_sum(void);
MPI_Op cmpi_max(void);
MPI_Op cmpi_min(void);
MPI_Errhandler cmpi_errors_return(void);
void *cmpi_in_place(void);
int cmpi_success(void);
int cmpi_max_error_string(void);
int cmpi_thread_serialized(void);

#endif
