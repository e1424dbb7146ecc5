#include "CMPI.h"

MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
MPI_Datatype cmpi_int32(void) { return MPI_INT32_T; }
MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
MPI_Op cmpi_sum(void) { return MPI_SUM; }
MPI_Op cmpi_max(void) { return MPI_MAX; }
MPI_Op cmpi_min(void) { return MPI_MIN; }
MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
void *cmpi_in_place(void) { return MPI_IN_PLACE; }
int cmpi_success(void) { return MPI_SUCCESS; }
int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
